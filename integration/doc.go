// Package integration holds minikafka's wire-compatibility suite: real,
// unmodified Kafka clients (franz-go, IBM/sarama, segmentio/kafka-go,
// confluent-kafka-go, librdkafka's kcat, kafkajs, kafka-python) over real
// sockets against the real `minikafka` binary, built once per run and
// started as a subprocess per test.
//
// The package has no API; everything is in its tests. With
// MINIKAFKA_TEST_BOOTSTRAP set, the client tests run against that external
// cluster (a real Apache Kafka, say) instead of the binary, which checks
// that what the tests expect is what Kafka does; see the README section
// "Running the integration tests against real Kafka".
package integration
