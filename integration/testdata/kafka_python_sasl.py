"""kafka-python (Debian python3-kafka 2.0.2) SASL check for minikafka's tests.

usage: kafka_python_sasl.py BOOTSTRAP MECHANISM USER PASSWORD TOPIC

Produces one record and reads it back. Prints "OK <value>" on success or
"ERR <ExceptionType> <message>" on failure; the exit status is 0 either way
so that the Go test can assert on the outcome.
"""
import sys

from kafka import KafkaConsumer, KafkaProducer

bootstrap, mech, user, password, topic = sys.argv[1:6]
common = dict(bootstrap_servers=bootstrap, security_protocol='SASL_PLAINTEXT', sasl_mechanism=mech,
              sasl_plain_username=user, sasl_plain_password=password,
              api_version_auto_timeout_ms=3000, request_timeout_ms=10000)
try:
    value = ('hello over ' + mech).encode()
    producer = KafkaProducer(**common)
    producer.send(topic, value).get(timeout=15)
    producer.close()
    consumer = KafkaConsumer(topic, auto_offset_reset='earliest', consumer_timeout_ms=10000, **common)
    got = []
    for m in consumer:
        got.append(m.value)
        break
    consumer.close()
    if got != [value]:
        print('ERR Mismatch', got)
    else:
        print('OK', value.decode())
except Exception as e:  # reported to the Go test
    print('ERR', type(e).__name__, e)
