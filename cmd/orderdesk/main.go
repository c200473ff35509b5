// Command orderdesk is the back office: web console, JSON API and command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/orderdesk/orderdesk/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
