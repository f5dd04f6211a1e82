// Package namesrv is the name server: the registry that tells producers,
// consumers and admin tools which brokers hold a topic.
//
// Brokers register every 30 s (REGISTER_BROKER) with their whole topic
// table; the name server keeps, in memory only, which cluster each broker
// name belongs to, the address of each broker id (0 = master), which broker
// names hold each topic with how many queues, and when each broker was last
// heard from. A restarted name server forgets everything and fills up again
// from the next round of registrations, so several name servers run side by
// side without talking to each other: brokers register with all of them.
//
// # State
//
// routeTable (routes.go) holds the five upstream tables behind one
// RWMutex, as a plain struct tested without a network. Lookups build
// copies, so no caller ever holds a reference into the tables.
//
// A broker leaves the tables when it unregisters, when the connection it
// registered on closes (at once), or when it has been silent longer than
// brokerChannelExpiredTime (default 120 s; a scan runs every
// scanNotActiveBrokerInterval). The last address of a broker name takes the
// name out of its cluster and out of every topic; topics left without any
// broker disappear. Removing a slave leaves the routes alone.
//
// kvStore (kvconfig.go) is the small namespaced key/value store of
// PUT/GET/DELETE_KV_CONFIG, written atomically to kvConfigPath on every
// change and loaded at start. Its ORDER_TOPIC_CONFIG namespace is returned
// to brokers on registration and, with orderMessageEnable, to clients as a
// route's orderTopicConf.
//
// # Requests
//
// handlers.go answers every name server request of RocketMQ 4.x; codes it
// does not know get REQUEST_CODE_NOT_SUPPORTED (the Java name server stays
// silent instead). Route bodies are written in the JSON form the client's
// version expects (protocol.RouteFormFor). UPDATE_NAMESRV_CONFIG
// (config_update.go) is all or nothing and persists to configStorePath
// before it takes effect.
//
// # Lifecycle
//
// New validates the config and loads the KV store; Start binds the
// listener (Addr is real even for port 0) and starts the expiry scanner;
// Shutdown stops both and waits for them. The scanner is the only
// goroutine the package starts itself; the rest belong to remoting.
package namesrv
