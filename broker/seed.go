package broker

import (
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ValidateTopic applies the checks of CreateTopics to a topic created
// outside the Kafka protocol: Kafka's topic name rules, a partition count
// that is positive (or 0: num.partitions) and valid topic configs. It
// returns the configs in canonical form; an error says what is wrong.
func ValidateTopic(name string, partitions int32, configs map[string]string) (map[string]string, error) {
	if err := validateTopicName(name); err != nil {
		return nil, err
	}
	if partitions < 0 {
		return nil, fmt.Errorf("number of partitions must be larger than 0, got %d", partitions)
	}
	keys := make([]string, 0, len(configs))
	for k := range configs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	in := make([]kmsg.CreateTopicsRequestTopicConfig, 0, len(keys))
	for _, k := range keys {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = k, strp(configs[k])
		in = append(in, c)
	}
	return validateTopicConfigs(in)
}

// CreateTopic creates a topic outside the Kafka protocol (fixtures,
// embedders) after ValidateTopic's checks; partitions 0 means
// num.partitions. It fails if the topic exists. It needs no
// authorization: the caller is the operator.
func (b *Broker) CreateTopic(name string, partitions int32, configs map[string]string) error {
	canon, err := ValidateTopic(name, partitions, configs)
	if err != nil {
		return fmt.Errorf("topic %q: %w", name, err)
	}
	if partitions == 0 {
		partitions = b.cfg.NumPartitions
	}
	_, created, err := b.topics.create(name, partitions, canon)
	if err != nil {
		return fmt.Errorf("topic %q: %w", name, err)
	}
	if !created {
		return fmt.Errorf("topic %q already exists", name)
	}
	b.log.Info("created topic", "topic", name, "partitions", partitions, "by", "configuration")
	return nil
}
