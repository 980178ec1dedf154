package broker

import (
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// CreateTopic creates a topic outside the Kafka protocol (fixtures,
// embedders), with the checks of CreateTopics: Kafka's topic name rules,
// a positive partition count (0 means num.partitions) and valid topic
// configs. It fails if the topic exists. It needs no authorization: the
// caller is the operator.
func (b *Broker) CreateTopic(name string, partitions int32, configs map[string]string) error {
	if err := validateTopicName(name); err != nil {
		return fmt.Errorf("topic %q: %w", name, err)
	}
	if partitions == 0 {
		partitions = b.cfg.NumPartitions
	}
	if partitions < 0 {
		return fmt.Errorf("topic %q: number of partitions must be larger than 0, got %d", name, partitions)
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
	canon, err := validateTopicConfigs(in)
	if err != nil {
		return fmt.Errorf("topic %q: %w", name, err)
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
