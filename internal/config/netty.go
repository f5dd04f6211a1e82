package config

import (
	"net"
	"os"
	"path/filepath"
)

// NettyServer holds upstream's NettyServerConfig keys: the listening socket
// of a name server or broker. RocketGo serves with goroutines, so the thread
// and semaphore counts are accepted for compatibility and only checked for
// sanity; listenPort, bindAddress, the socket buffers and the idle timeout
// are used.
type NettyServer struct {
	// BindAddress is the address to listen on (RocketMQ 5.x key); tests use
	// 127.0.0.1.
	BindAddress string `key:"bindAddress"`
	// ListenPort is the TCP port; 0 picks a free port (tests).
	ListenPort                         int  `key:"listenPort"`
	ServerWorkerThreads                int  `key:"serverWorkerThreads"`
	ServerCallbackExecutorThreads      int  `key:"serverCallbackExecutorThreads"`
	ServerSelectorThreads              int  `key:"serverSelectorThreads"`
	ServerOnewaySemaphoreValue         int  `key:"serverOnewaySemaphoreValue"`
	ServerAsyncSemaphoreValue          int  `key:"serverAsyncSemaphoreValue"`
	ServerChannelMaxIdleTimeSeconds    int  `key:"serverChannelMaxIdleTimeSeconds"`
	ServerSocketSndBufSize             int  `key:"serverSocketSndBufSize"` // 0: the OS default
	ServerSocketRcvBufSize             int  `key:"serverSocketRcvBufSize"` // 0: the OS default
	WriteBufferHighWaterMark           int  `key:"writeBufferHighWaterMark"`
	WriteBufferLowWaterMark            int  `key:"writeBufferLowWaterMark"`
	ServerSocketBacklog                int  `key:"serverSocketBacklog"`
	ServerPooledByteBufAllocatorEnable bool `key:"serverPooledByteBufAllocatorEnable"`
	UseEpollNativeSelector             bool `key:"useEpollNativeSelector"`
	EnableShutdownGracefully           bool `key:"enableShutdownGracefully"`
	ShutdownWaitTimeSeconds            int  `key:"shutdownWaitTimeSeconds"`
}

// defaultNettyServer returns upstream's NettyServerConfig defaults for port.
func defaultNettyServer(port int) NettyServer {
	return NettyServer{
		BindAddress:                        "0.0.0.0",
		ListenPort:                         port,
		ServerWorkerThreads:                8,
		ServerCallbackExecutorThreads:      0,
		ServerSelectorThreads:              3,
		ServerOnewaySemaphoreValue:         256,
		ServerAsyncSemaphoreValue:          64,
		ServerChannelMaxIdleTimeSeconds:    120,
		ServerSocketBacklog:                1024,
		ServerPooledByteBufAllocatorEnable: true,
		ShutdownWaitTimeSeconds:            30,
	}
}

func (n *NettyServer) validate(p *problems) {
	if n.BindAddress != "" && net.ParseIP(n.BindAddress) == nil && n.BindAddress != "localhost" {
		p.add("bindAddress", "%q is not an IP address", n.BindAddress)
	}
	checkPort(p, "listenPort", n.ListenPort)
	atLeast(p, "serverWorkerThreads", n.ServerWorkerThreads, 1)
	atLeast(p, "serverCallbackExecutorThreads", n.ServerCallbackExecutorThreads, 0)
	atLeast(p, "serverSelectorThreads", n.ServerSelectorThreads, 1)
	atLeast(p, "serverOnewaySemaphoreValue", n.ServerOnewaySemaphoreValue, 1)
	atLeast(p, "serverAsyncSemaphoreValue", n.ServerAsyncSemaphoreValue, 1)
	atLeast(p, "serverChannelMaxIdleTimeSeconds", n.ServerChannelMaxIdleTimeSeconds, 0)
	atLeast(p, "serverSocketSndBufSize", n.ServerSocketSndBufSize, 0)
	atLeast(p, "serverSocketRcvBufSize", n.ServerSocketRcvBufSize, 0)
	atLeast(p, "writeBufferHighWaterMark", n.WriteBufferHighWaterMark, 0)
	atLeast(p, "writeBufferLowWaterMark", n.WriteBufferLowWaterMark, 0)
	if n.WriteBufferHighWaterMark > 0 && n.WriteBufferLowWaterMark > n.WriteBufferHighWaterMark {
		p.add("writeBufferLowWaterMark", "%d is above writeBufferHighWaterMark %d", n.WriteBufferLowWaterMark, n.WriteBufferHighWaterMark)
	}
	atLeast(p, "serverSocketBacklog", n.ServerSocketBacklog, 1)
	atLeast(p, "shutdownWaitTimeSeconds", n.ShutdownWaitTimeSeconds, 0)
}

// NettyClient holds upstream's NettyClientConfig keys: how a broker talks to
// name servers and other brokers. writeBufferHighWaterMark and
// writeBufferLowWaterMark are shared with NettyServer, as one key sets both
// upstream.
type NettyClient struct {
	ClientWorkerThreads                int   `key:"clientWorkerThreads"`
	ClientCallbackExecutorThreads      int   `key:"clientCallbackExecutorThreads"`
	ClientOnewaySemaphoreValue         int   `key:"clientOnewaySemaphoreValue"`
	ClientAsyncSemaphoreValue          int   `key:"clientAsyncSemaphoreValue"`
	ConnectTimeoutMillis               int   `key:"connectTimeoutMillis"`
	ChannelNotActiveInterval           int64 `key:"channelNotActiveInterval"`
	ClientChannelMaxIdleTimeSeconds    int   `key:"clientChannelMaxIdleTimeSeconds"`
	ClientSocketSndBufSize             int   `key:"clientSocketSndBufSize"`
	ClientSocketRcvBufSize             int   `key:"clientSocketRcvBufSize"`
	ClientPooledByteBufAllocatorEnable bool  `key:"clientPooledByteBufAllocatorEnable"`
	ClientCloseSocketIfTimeout         bool  `key:"clientCloseSocketIfTimeout"`
	UseTLS                             bool  `key:"useTLS"`
}

func defaultNettyClient(cpus int) NettyClient {
	return NettyClient{
		ClientWorkerThreads:             4,
		ClientCallbackExecutorThreads:   cpus,
		ClientOnewaySemaphoreValue:      65535,
		ClientAsyncSemaphoreValue:       65535,
		ConnectTimeoutMillis:            3000,
		ChannelNotActiveInterval:        60_000,
		ClientChannelMaxIdleTimeSeconds: 120,
		ClientCloseSocketIfTimeout:      true,
	}
}

func (c *NettyClient) validate(p *problems) {
	atLeast(p, "clientWorkerThreads", c.ClientWorkerThreads, 1)
	atLeast(p, "clientCallbackExecutorThreads", c.ClientCallbackExecutorThreads, 0)
	atLeast(p, "clientOnewaySemaphoreValue", c.ClientOnewaySemaphoreValue, 1)
	atLeast(p, "clientAsyncSemaphoreValue", c.ClientAsyncSemaphoreValue, 1)
	atLeast(p, "connectTimeoutMillis", c.ConnectTimeoutMillis, 1)
	atLeast(p, "channelNotActiveInterval", c.ChannelNotActiveInterval, 1)
	atLeast(p, "clientChannelMaxIdleTimeSeconds", c.ClientChannelMaxIdleTimeSeconds, 0)
	atLeast(p, "clientSocketSndBufSize", c.ClientSocketSndBufSize, 0)
	atLeast(p, "clientSocketRcvBufSize", c.ClientSocketRcvBufSize, 0)
}

// checkPort accepts 1..65535, and 0 for "pick a free port".
func checkPort(p *problems, key string, port int) {
	if port < 0 || port > 65535 {
		p.add(key, "port %d is not in 1..65535 (or 0 for a free port)", port)
	}
}

func atLeast[T int | int64](p *problems, key string, v, lo T) {
	if v < lo {
		p.add(key, "%d is below the minimum %d", v, lo)
	}
}

func inRange[T int | int64](p *problems, key string, v, lo, hi T) {
	if v < lo || v > hi {
		p.add(key, "%d is not in %d..%d", v, lo, hi)
	}
}

func notEmpty(p *problems, key, v string) {
	if v == "" {
		p.add(key, "must not be empty")
	}
}

// homeDir is the user's home directory, where upstream puts stores and name
// server files by default.
func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "."
}

func inHome(parts ...string) string {
	return filepath.Join(append([]string{homeDir()}, parts...)...)
}
