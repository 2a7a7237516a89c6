# The two commands of the README. Everything they need is installed by infra/install.sh.
.PHONY: run test stop bench

run:  ## install, start the stack and lecturecast with a demo tenant, stay in the foreground
	bash infra/run.sh

test:  ## the same set-up on test ports, the whole pytest suite, teardown
	bash infra/test.sh $(PYTEST_ARGS)

stop:  ## stop anything a killed `make run` or `make test` left behind
	bash infra/stack.sh stop run; bash infra/stack.sh stop test
