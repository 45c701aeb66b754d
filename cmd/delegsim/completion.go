package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/posener/complete/v2"
	"github.com/posener/complete/v2/predict"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

func init() {
	register(command{name: "completion", summary: "print shell completion for bash, zsh or fish", run: completionCmd})
}

const completionArgs = `bash|zsh|fish

Prints what makes the shell complete delegsim's commands, flags, scenario
names, policies and profiles, for example:

  bash:  source <(delegsim completion bash)       (or add it to ~/.bashrc)
  zsh:   source <(delegsim completion zsh)        (or add it to ~/.zshrc)
  fish:  delegsim completion fish > ~/.config/fish/completions/delegsim.fish

The shell then runs delegsim itself to complete a word
(github.com/posener/complete: bash's complete -C protocol).`

func completionCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("completion", completionArgs, stderr)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, usageErr("completion takes one shell: bash, zsh or fish"))
	}
	bin := completionBinary()
	switch pos[0] {
	case "bash":
		fmt.Fprintf(stdout, "# delegsim completion for bash: source <(delegsim completion bash)\ncomplete -C %s delegsim\n", bin)
	case "zsh":
		fmt.Fprintf(stdout, "# delegsim completion for zsh: source <(delegsim completion zsh)\nautoload -U +X bashcompinit && bashcompinit\ncomplete -o nospace -C %s delegsim\n", bin)
	case "fish":
		// The function github.com/posener/complete/v2/install writes for fish.
		fmt.Fprintf(stdout, `# delegsim completion for fish: delegsim completion fish > ~/.config/fish/completions/delegsim.fish
function __complete_delegsim
    set -lx COMP_LINE (commandline -cp)
    test -z (commandline -ct)
    and set COMP_LINE "$COMP_LINE "
    %s
end
complete -f -c delegsim -a "(__complete_delegsim)"
`, bin)
	default:
		return fail(stderr, usageErr("completion: unknown shell %q (allowed: bash, zsh, fish)", pos[0]))
	}
	return exitOK
}

// completionBinary is how the shell should run delegsim: by name if it was
// found on PATH, else by its absolute path.
func completionBinary() string {
	if !strings.ContainsRune(os.Args[0], os.PathSeparator) {
		return "delegsim"
	}
	if exe, err := os.Executable(); err == nil {
		return shellQuote(exe)
	}
	p, _ := filepath.Abs(os.Args[0])
	return shellQuote(p)
}

// completeIfAsked answers a shell's completion request (bash's complete -C
// sets COMP_LINE and COMP_POINT) and exits; otherwise it returns at once.
func completeIfAsked() {
	if os.Getenv("COMP_LINE") == "" {
		return
	}
	complete.Complete("delegsim", completer())
}

// completer describes every command for completion: its flags, read from
// its own flag set, and what its flags and arguments take.
func completer() *complete.Command {
	top := &complete.Command{Sub: map[string]*complete.Command{},
		Flags: map[string]complete.Predictor{"help": predict.Nothing, "version": predict.Nothing}}
	for name, c := range commands {
		sub := &complete.Command{Flags: map[string]complete.Predictor{}, Args: argPredictor(name)}
		if fs := flagsOf(c); fs != nil {
			fs.VisitAll(func(f *flag.Flag) { sub.Flags[f.Name] = flagPredictor(name, f) })
		}
		top.Sub[name] = sub
	}
	help := &complete.Command{Args: predict.Set(append(commandNames(), "exit-status"))}
	top.Sub["help"], top.Sub["version"] = help, &complete.Command{}
	return top
}

// formats lists each command's --format values.
var formats = map[string][]string{
	"run": {"text", "json"}, "check": {"text", "json"}, "explore": {"text", "json"}, "list": {"text", "json"},
	"explain": {"text", "mermaid", "html"}, "compare": {"text", "markdown", "json"},
}

func flagPredictor(cmd string, f *flag.Flag) complete.Predictor {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return predict.Nothing
	}
	switch f.Name {
	case "policy", "policies":
		return predict.Set(model.PolicyNames())
	case "profile":
		return predict.Set(model.ProfileNames())
	case "strategy":
		return predict.Set{"bfs", "dfs"}
	case "consistency":
		return predict.Set{"close-to-open", "linearizable", "none"}
	case "progress":
		return predict.Set{"auto", "bar", "lines", "off"}
	case "format":
		return predict.Set(formats[cmd])
	case "trace", "html", "schedule":
		return predict.Files("*")
	case "out":
		if cmd == "sweep" || cmd == "merge" {
			return predict.Dirs("*")
		}
		return predict.Files("*")
	}
	return predict.Something
}

func argPredictor(cmd string) complete.Predictor {
	switch cmd {
	case "run", "check", "explore", "explain", "compare", "sweep":
		return predict.Or(predict.Set(scenarios.Names()), predict.Files("*.yaml"), predict.Files("*.yml"))
	case "validate":
		return predict.Or(predict.Files("*.yaml"), predict.Files("*.yml"))
	case "merge":
		return predict.Dirs("*")
	case "completion":
		return predict.Set{"bash", "zsh", "fish"}
	}
	return predict.Nothing
}
