// Package minikafka is a Kafka-wire-compatible broker whose security
// behaves like Apache Kafka's, in a package that embeds in a Go test.
//
// Library first: New validates the whole Config and returns a Broker that
// is not yet listening; Start binds the listeners (port 0 means random);
// Close waits for requests in flight and releases everything. Start(tb)
// does all of that on loopback for a test, in the style of httptest.
//
// This package is the only place that wires implementations (storage,
// SASL mechanisms, principal builder and resolvers, authorizer) into the
// broker, which only knows their interfaces. Several brokers in one
// process share nothing: each has its own Prometheus registry and logger.
//
// # Operations
//
// With Config.AdminAddr (admin.listener, --admin-addr) the broker serves
// over HTTP:
//
//	/metrics   the metrics below, in the Prometheus text format (also Broker.MetricsHandler)
//	/healthz   200 "ok" while the broker runs, 503 once it shuts down (Broker.HealthHandler)
//	/readyz    200 when ready, else 503 with the failing check (Broker.ReadyHandler, Broker.Ready):
//	           the listeners are bound, the ACLs are loaded (authorization on),
//	           and each configured JWKS holds a usable key
//
// Fixtures (users, OAuth clients, groups, topics and ACLs from one YAML
// file) are described on Fixtures.
//
// # Metrics
//
// Every broker registers its metrics on its own registry
// (Config.Registry, or a new one; never the global registry), unless
// Config.DisableMetrics. Names carry the Kafka metric with the same
// meaning, where there is one. Label values are bounded: API names and
// versions, listener names, mechanisms enabled on a listener, the fixed
// results and reasons below, operations and resource types; topic and
// group labels follow what exists (a deleted topic's or group's series go
// away).
//
//	minikafka_requests_total{api,version}  counter
//	    requests handled (api as kmsg names it: Produce, Fetch, InitProducerID, ...)
//	    Kafka: kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*,version=*
//	minikafka_request_duration_seconds{api}  histogram
//	    from a decoded request to its encoded response (Fetch includes its long poll)
//	    Kafka: kafka.network:type=RequestMetrics,name=TotalTimeMs,request=*
//	minikafka_bytes_in_total{listener}  counter
//	    bytes of every frame received, size prefix included
//	    Kafka: kafka.server:type=socket-server-metrics,listener=*,name=incoming-byte-total
//	minikafka_bytes_out_total{listener}  counter
//	    bytes of every frame sent
//	    Kafka: kafka.server:type=socket-server-metrics,listener=*,name=outgoing-byte-total
//	minikafka_records_in_total{topic}  counter
//	    records appended by Produce
//	    Kafka: kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec,topic=*
//	minikafka_topic_bytes_in_total{topic}  counter
//	    record batch bytes appended by Produce
//	    Kafka: kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec,topic=*
//	minikafka_connections_active{listener}  gauge
//	    open connections
//	    Kafka: kafka.server:type=socket-server-metrics,listener=*,name=connection-count
//	minikafka_connections_total{listener}  counter
//	    connections accepted
//	    Kafka: kafka.server:type=socket-server-metrics,listener=*,name=connection-creation-total
//	minikafka_connections_rejected_total{listener}  counter
//	    connections refused by max.connections or max.connections.per.ip
//	minikafka_authentications_total{listener,mechanism,result,reason}  counter
//	    first authentications of connections; result is success or failure; reason is ""
//	    on success, else one of invalid_credentials (the mechanism rejected the exchange),
//	    principal (the principal builder refused it), unsupported_mechanism,
//	    unauthenticated_request (a request before authentication), illegal_sasl_state
//	    (another request during the exchange), invalid_receive_size, tls_handshake, and
//	    abandoned (the client closed in the middle of the exchange). A client that closes
//	    after OAUTHBEARER's error challenge (an invalid token) counts as invalid_credentials;
//	    Kafka counts neither. mechanism is the SASL mechanism, SSL for TLS client
//	    authentication, "" when the failure came before a mechanism was chosen
//	    Kafka: successful-authentication-total, failed-authentication-total
//	    (kafka.server:type=socket-server-metrics,listener=*)
//	minikafka_reauthentications_total{listener,mechanism,result,reason}  counter
//	    KIP-368 re-authentications of authenticated connections; the reasons above plus
//	    principal_changed and mechanism_changed
//	    Kafka: successful-reauthentication-total, failed-reauthentication-total
//	minikafka_expired_connections_killed_total{listener}  counter
//	    connections closed because their session (token or connections.max.reauth.ms) expired
//	    Kafka: expired-connections-killed-count
//	minikafka_authorization_decisions_total{operation,resource_type,decision}  counter
//	    authorizer decisions at the enforcement point (decision is allow or deny; operation
//	    and resource_type as Kafka's enums: WRITE, TOPIC, ...); absent without authorization
//	    Kafka: kafka.server:type=authorizer-metrics, authorization-allowed-rate-per-minute,
//	    authorization-denied-rate-per-minute
//	minikafka_acls  gauge
//	    ACLs held by the ACL authorizer; absent without authorization
//	    Kafka: kafka.server:type=authorizer-metrics,name=acls-total-count
//	minikafka_oauth_jwks_fetches_total{url}  counter
//	    fetches of each configured JWKS (startup, scheduled refresh, unknown kid)
//	minikafka_oauth_jwks_fetch_failures_total{url}  counter
//	    fetches that failed (the previous keys stay in use)
//	minikafka_oauth_jwks_keys{url}  gauge
//	    usable verification keys in the cached JWKS (0 makes /readyz fail)
//	minikafka_group_resolutions_total{listener,result}  counter
//	    group resolutions of authenticated users through the configured resolvers
//	    (result ok or error)
//	minikafka_group_resolution_failures_total{listener,policy}  counter
//	    failed resolutions by minikafka.groups.failure.policy (lenient: authenticated
//	    without groups; strict: refused)
//	minikafka_group_cache_requests_total{cache,result}  counter
//	    lookups through the cache of the ldap and os resolvers; result is hit,
//	    negative_hit, shared (joined a lookup in flight) or miss
//	minikafka_group_lookup_duration_seconds{cache,outcome}  histogram
//	    directory lookups the cache made on a miss; outcome is ok or error
//	minikafka_consumer_groups{state}  gauge
//	    consumer groups by state (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead)
//	    Kafka: kafka.coordinator.group:type=GroupMetadataManager,name=NumGroups, NumGroupsStable, ...
//	minikafka_committed_offsets  gauge
//	    committed offsets held, over every group and partition
//	    Kafka: kafka.coordinator.group:type=GroupMetadataManager,name=NumOffsets
//	minikafka_consumer_group_committed_offset{group,topic,partition}  gauge
//	    the committed offset itself: one series per committed (group, topic, partition),
//	    so as many series as minikafka_committed_offsets counts; they go away with the
//	    group, the topic or the offset (OffsetDelete, retention)
//	minikafka_offset_commits_total  counter
//	    partition offsets committed (OffsetCommit, and TxnOffsetCommit when its
//	    transaction commits)
//	    Kafka: kafka.server:type=group-coordinator-metrics,name=offset-commit-count
package minikafka
