// Command lathe is Lathe's single binary: the server (`lathe up`), the demo
// (`lathe demo`) and the command-line client.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/latheml/lathe/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	code := cli.ExitCode(err)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lathe: %v\n", err)
		if code == cli.ExitUsage {
			fmt.Fprintln(os.Stderr, "Run 'lathe --help' or 'lathe <command> --help' for usage.")
		}
	}
	os.Exit(code)
}
