// The memsched command-line tool: parses the subcommand and maps errors to exit codes
// (0 success, 1 bad input or infeasible request, 2 bad usage).
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <new>

#include "commands.hpp"
#include "memsched/errors.hpp"
#include "memsched/version.hpp"
#include "progress.hpp"

namespace {

int cannot_write() {
  std::cout.exceptions(std::ios::goodbit);
  std::cerr << "memsched: cannot write the output (" << std::strerror(errno != 0 ? errno : EIO)
            << ")\n";
  return 1;
}

// --help and --version print through CLI11, whose writes are checked here.
int help_exit(const CLI::App& app, const CLI::Error& e) {
  std::cout.exceptions(std::ios::goodbit);
  const int code = app.exit(e);
  std::cout.flush();
  return std::cout ? code : cannot_write();
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app{"memsched " MEMSCHED_VERSION_STRING
               ": memory-aware scheduling for adjoints, backpropagation and task trees"};
  app.set_version_flag("--version", MEMSCHED_VERSION_STRING);
  app.require_subcommand(1);
  memsched::cli::add_plan_command(app);
  memsched::cli::add_simulate_command(app);
  memsched::cli::add_run_command(app);
  memsched::cli::add_tree_command(app);
  memsched::cli::add_hetero_command(app);
  memsched::cli::add_pipeline_command(app);
  memsched::cli::add_graph_command(app);
  memsched::cli::add_calltree_command(app);
  memsched::cli::TerminalProgress progress;
  const memsched::ProgressScope progress_scope(progress);
  // A failed write (a full device, a closed pipe) throws at once instead of letting a long
  // stream run on into nothing; it exits 1 with one line, never 0 after losing output.
  std::cout.exceptions(std::ios::badbit | std::ios::failbit);
  // Messages on stderr must not flush (and so throw from) a failed stdout.
  std::cerr.tie(nullptr);
  const int code = [&]() -> int {
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return help_exit(app, e);
    } catch (const CLI::CallForAllHelp& e) {
      return help_exit(app, e);
    } catch (const CLI::CallForVersion& e) {
      return help_exit(app, e);
    } catch (const CLI::ParseError& e) {
      std::cerr << "memsched: " << e.what() << "\n";
      return 2;
    } catch (const memsched::cli::UsageError& e) {
      std::cerr << "memsched: " << e.what() << "\n";
      return 2;
    } catch (const memsched::cli::Interrupted& e) {
      std::cerr << "memsched: interrupted by signal " << e.signal_number() << "\n";
      return 128 + e.signal_number();
    } catch (const memsched::ScheduleError& e) {
      std::cerr << "memsched: illegal schedule: " << e.what() << "\n";
      return 1;
    } catch (const std::bad_alloc&) {
      // A last resort: requests are estimated and refused up front (docs/cli.md, Limits).
      std::cerr << "memsched: out of memory: the request needs more memory than this process "
                   "may use\n";
      return 1;
    } catch (const std::exception& e) {
      // The stream's failure (std::ios_base::failure, of either library ABI) or any other.
      if (!std::cout) return cannot_write();
      std::cerr << "memsched: " << e.what() << "\n";
      return 1;
    }
    return 0;
  }();
  // No exception from the flush at exit: a failed output was reported above.
  std::cout.exceptions(std::ios::goodbit);
  if (code != 0) return code;
  std::cout.flush();
  if (!std::cout) return cannot_write();
  return 0;
}
