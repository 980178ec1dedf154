"""kafka-python client driven by integration/python_test.go.

    python3 kafka_python_roundtrip.py produce TOPIC          < records.jsonl
    python3 kafka_python_roundtrip.py consume TOPIC N [GROUP]

produce sends the JSON-lines records of stdin ({key, value, seq}) with
acks=all and prints each one with the partition and offset it was
acknowledged at. consume reads N records of TOPIC from the beginning: with
GROUP as a member of that consumer group (resuming from its committed
offsets, committing what it read before leaving), without GROUP by
assigning every partition. The cluster comes from KAFKA_BOOTSTRAP,
KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USER,
KAFKA_SASL_PASSWORD and KAFKA_TLS_CA. Errors go to stderr, exit code 1.
"""

import json
import os
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

DEADLINE_SECONDS = 50


def client_config():
    env = os.environ
    cfg = {
        "bootstrap_servers": env["KAFKA_BOOTSTRAP"].split(","),
        "client_id": "minikafka-it-kafka-python",
        "security_protocol": (env.get("KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT").upper(),
    }
    if cfg["security_protocol"].endswith("SSL") and env.get("KAFKA_TLS_CA"):
        cfg["ssl_cafile"] = env["KAFKA_TLS_CA"]
    if cfg["security_protocol"].startswith("SASL_"):
        cfg["sasl_mechanism"] = env["KAFKA_SASL_MECHANISM"].upper()
        cfg["sasl_plain_username"] = env["KAFKA_SASL_USER"]
        cfg["sasl_plain_password"] = env["KAFKA_SASL_PASSWORD"]
    return cfg


def produce(topic):
    records = [json.loads(line) for line in sys.stdin if line.strip()]
    producer = KafkaProducer(acks="all", **client_config())
    try:
        futures = [
            producer.send(
                topic,
                key=r["key"].encode(),
                value=r["value"].encode(),
                headers=[("seq", r["seq"].encode())],
            )
            for r in records
        ]
        producer.flush(DEADLINE_SECONDS)
        for r, f in zip(records, futures):
            md = f.get(timeout=DEADLINE_SECONDS)
            print(json.dumps(dict(r, partition=md.partition, offset=md.offset)))
    finally:
        producer.close(DEADLINE_SECONDS)


def to_record(m):
    seq = next((v.decode() for k, v in (m.headers or []) if k == "seq"), "")
    return {
        "key": m.key.decode(),
        "value": m.value.decode(),
        "seq": seq,
        "partition": m.partition,
        "offset": m.offset,
    }


def consume(topic, n, group):
    cfg = client_config()
    consumer = KafkaConsumer(
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **cfg,
    )
    try:
        if group:
            consumer.subscribe([topic])
        else:
            parts = None
            deadline = time.monotonic() + DEADLINE_SECONDS
            while not parts and time.monotonic() < deadline:
                parts = consumer.partitions_for_topic(topic)
            if not parts:
                raise RuntimeError("no partitions for %s" % topic)
            tps = [TopicPartition(topic, p) for p in sorted(parts)]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
        got = []
        deadline = time.monotonic() + DEADLINE_SECONDS
        while len(got) < n:
            if time.monotonic() > deadline:
                raise RuntimeError("consumed %d of %d records before the deadline" % (len(got), n))
            batches = consumer.poll(timeout_ms=500, max_records=n - len(got))
            for tp in sorted(batches, key=lambda tp: tp.partition):
                got.extend(to_record(m) for m in batches[tp])
        if group:
            consumer.commit()
        for r in got:
            print(json.dumps(r))
    finally:
        consumer.close(autocommit=False)


def main(argv):
    mode, topic = argv[1], argv[2]
    if mode == "produce":
        produce(topic)
    elif mode == "consume":
        consume(topic, int(argv[3]), argv[4] if len(argv) > 4 else None)
    else:
        raise ValueError("unknown mode %s: want produce or consume" % mode)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception as e:  # noqa: BLE001 - report any failure to the Go test
        print("kafka-python %s: %r" % (" ".join(sys.argv[1:]), e), file=sys.stderr)
        sys.exit(1)
