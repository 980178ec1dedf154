package broker

// groupCoordinator owns consumer groups and committed offsets.
type groupCoordinator struct {
	b *Broker
}

func newGroupCoordinator(b *Broker) *groupCoordinator { return &groupCoordinator{b: b} }

// topicDeleted drops committed offsets of a deleted topic.
func (g *groupCoordinator) topicDeleted(topic string) {}
