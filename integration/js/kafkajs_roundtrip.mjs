// kafkajs client driven by integration/kafkajs_test.go.
//
//   node kafkajs_roundtrip.mjs produce TOPIC          < records.jsonl
//   node kafkajs_roundtrip.mjs consume TOPIC N GROUP
//
// produce sends the JSON-lines records of stdin ({key, value, seq}) in one
// send() with acks=-1 and prints each one with the partition and offset it
// was acknowledged at. consume joins GROUP, reads N records of TOPIC from
// the beginning (or from the group's committed offsets), prints them and
// leaves, committing. The cluster comes from KAFKA_BOOTSTRAP,
// KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USER,
// KAFKA_SASL_PASSWORD and KAFKA_TLS_CA. Errors go to stderr, exit code 1.
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

const env = process.env;

function clientConfig() {
  const protocol = (env.KAFKA_SECURITY_PROTOCOL || 'PLAINTEXT').toUpperCase();
  const cfg = {
    clientId: 'minikafka-it-kafkajs',
    brokers: env.KAFKA_BOOTSTRAP.split(','),
    logLevel: logLevel.ERROR,
    retry: { retries: 8 },
  };
  if (protocol.endsWith('SSL')) {
    cfg.ssl = env.KAFKA_TLS_CA ? { ca: [readFileSync(env.KAFKA_TLS_CA, 'utf8')] } : true;
  }
  if (protocol.startsWith('SASL_')) {
    cfg.sasl = {
      mechanism: env.KAFKA_SASL_MECHANISM.toLowerCase(),
      username: env.KAFKA_SASL_USER,
      password: env.KAFKA_SASL_PASSWORD,
    };
  }
  return cfg;
}

function readStdin() {
  return readFileSync(0, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

async function produce(kafka, topic) {
  const records = readStdin();
  // The default (Java-compatible murmur2) partitioner, wrapped to learn
  // where each message went: kafkajs sends each partition's messages in
  // order, so the n-th one of a partition is at baseOffset + n.
  const placed = new Map();
  const producer = kafka.producer({
    createPartitioner: () => {
      const partitioner = Partitioners.DefaultPartitioner();
      return (args) => {
        const p = partitioner(args);
        placed.set(args.message.key.toString(), p);
        return p;
      };
    },
  });
  await producer.connect();
  try {
    const meta = await producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => ({ key: r.key, value: r.value, headers: { seq: r.seq } })),
    });
    const base = new Map(meta.map((m) => [m.partition, BigInt(m.baseOffset)]));
    const next = new Map();
    for (const r of records) {
      const p = placed.get(r.key);
      const i = next.get(p) ?? 0n;
      next.set(p, i + 1n);
      console.log(JSON.stringify({ ...r, partition: p, offset: Number(base.get(p) + i) }));
    }
  } finally {
    await producer.disconnect();
  }
}

async function consume(kafka, topic, n, group) {
  const consumer = kafka.consumer({ groupId: group, heartbeatInterval: 1000 });
  await consumer.connect();
  const got = [];
  let done;
  let fail;
  const finished = new Promise((resolve, reject) => { done = resolve; fail = reject; });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fail(payload.error);
  });
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (got.length >= n) return;
        got.push({
          key: message.key.toString(),
          value: message.value.toString(),
          seq: message.headers.seq?.toString() ?? '',
          partition,
          offset: Number(message.offset),
        });
        if (got.length === n) done();
      },
    });
    await finished;
  } finally {
    await consumer.disconnect(); // commits the offsets resolved so far
  }
  for (const r of got) console.log(JSON.stringify(r));
}

const [mode, topic, n, group] = process.argv.slice(2);
const kafka = new Kafka(clientConfig());
try {
  if (mode === 'produce') await produce(kafka, topic);
  else if (mode === 'consume') await consume(kafka, topic, Number(n), group);
  else throw new Error(`unknown mode ${mode}: want produce or consume`);
} catch (e) {
  console.error(`kafkajs ${mode}: ${e.stack || e}`);
  process.exit(1);
}
