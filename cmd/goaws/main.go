// Command goaws is the SQS emulator of the local stack and the tests: goaws
// (pinned in go.mod), started as its own command starts it, but listening on
// 127.0.0.1 only. goaws's own command listens on every interface, which on a
// shared machine or network would let anyone read and send sync jobs.
//
// It takes goaws's flags: -config FILE, -loglevel LEVEL, -debug, and the
// environment's name as its argument (default Local).
package main

import (
	"flag"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/Admiral-Piett/goaws/app/conf"
	"github.com/Admiral-Piett/goaws/app/gosqs"
	"github.com/Admiral-Piett/goaws/app/router"
	log "github.com/sirupsen/logrus"
)

func main() {
	config := flag.String("config", "", "config file location + name")
	debug := flag.Bool("debug", false, "set debug log level")
	level := flag.String("loglevel", "info", "log level")
	flag.Parse()

	log.SetFormatter(&log.JSONFormatter{})
	log.SetOutput(os.Stdout)
	if l, err := log.ParseLevel(*level); err == nil && !*debug {
		log.SetLevel(l)
	} else if *debug {
		log.SetLevel(log.DebugLevel)
	}
	env := "Local"
	if flag.NArg() > 0 {
		env = flag.Arg(0)
	}
	ports := conf.LoadYamlConfig(*config, env)
	if len(ports) == 0 {
		log.Fatal("no port configured")
	}
	go gosqs.PeriodicTasks(time.Second, make(chan bool))

	srv := &http.Server{Handler: router.New(), ReadHeaderTimeout: 10 * time.Second}
	errs := make(chan error, len(ports))
	for _, p := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", p))
		if err != nil {
			log.Fatal(err)
		}
		log.Warnf("GoAws listening on: %s", ln.Addr())
		go func() { errs <- srv.Serve(ln) }()
	}
	log.Fatal(<-errs)
}
