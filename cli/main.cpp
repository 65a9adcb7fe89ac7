// The memsched command-line tool: parses the subcommand and maps errors to exit codes
// (0 success, 1 bad input or infeasible request, 2 bad usage).
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.hpp"
#include "memsched/errors.hpp"
#include "memsched/version.hpp"
#include "progress.hpp"

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
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "memsched: " << e.what() << "\n";
    return 2;
  } catch (const memsched::cli::UsageError& e) {
    std::cerr << "memsched: " << e.what() << "\n";
    return 2;
  } catch (const memsched::ScheduleError& e) {
    std::cerr << "memsched: illegal schedule: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "memsched: " << e.what() << "\n";
    return 1;
  }
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "memsched: cannot write the output\n";
    return 1;
  }
  return 0;
}
