package minikafka

// DevConfig is the development default of `minikafka serve` with no
// arguments: listeners on 127.0.0.1:9092 and upward, and the admin HTTP
// listener on 127.0.0.1:9644.
func DevConfig() Config {
	c := Config{
		Listeners: []Listener{
			{Name: "PLAINTEXT", Addr: "127.0.0.1:9092", SecurityProtocol: "PLAINTEXT"},
		},
		NumPartitions: 1,
		AdminAddr:     "127.0.0.1:9644",
	}
	devOAuth(&c) // OAUTHBEARER + development token issuer (oauth_dev.go)
	return c
}
