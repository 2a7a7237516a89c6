"""The aiohttp gateway: REST for admins and student players, publishing to Kafka."""
