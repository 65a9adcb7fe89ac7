// The subcommands of the memsched tool: each file cli/<name>_command.cpp defines one
// add_<name>_command() that registers the subcommand, its flags and its callback.
#pragma once

#include <stdexcept>

namespace CLI {
class App;
}

namespace memsched::cli {

/// A bad flag or flag value: the tool prints the message and exits with status 2.
/// Every other exception (malformed input file, illegal schedule, infeasible request) exits 1.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// SIGINT or SIGTERM arrived during a long command: the tool unwinds (removing its temporary
/// files), prints one line and exits with 128 + the signal number.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int signal_number)
      : std::runtime_error("interrupted"), signal_number_(signal_number) {}
  int signal_number() const noexcept { return signal_number_; }

 private:
  int signal_number_;
};

void add_plan_command(CLI::App& app);
void add_simulate_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_tree_command(CLI::App& app);
void add_hetero_command(CLI::App& app);
void add_pipeline_command(CLI::App& app);
/// Registers `join` under `parent` (the plan subcommand: `memsched plan join ...`).
void add_join_command(CLI::App& parent);
void add_graph_command(CLI::App& app);
/// Registers `calltree` (plan, front, evaluate, profile: joint/split choices per call).
void add_calltree_command(CLI::App& app);

}  // namespace memsched::cli
