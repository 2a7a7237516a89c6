"""Kafka contracts (topics, schemas, codecs), the Faust application and Kafka clients."""
