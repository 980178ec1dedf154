package minikafka

import (
	"github.com/minikafka/minikafka/storage/bolt"
)

// boltDB opens the shared bbolt database under DataDir once; it returns nil
// when the broker runs without a data directory (everything in memory).
func (mb *Broker) boltDB() (*bolt.DB, error) {
	if mb.cfg.DataDir == "" {
		return nil, nil
	}
	if mb.db != nil {
		return mb.db, nil
	}
	db, err := bolt.Open(mb.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	mb.db = db
	mb.closers = append(mb.closers, db.Close)
	return db, nil
}
