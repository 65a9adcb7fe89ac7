// Real storage levels: measure their costs, plan with them, and run on RAM plus a compressed
// disk level in a temporary folder.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "memsched/chain/simulate.hpp"
#include "memsched/exec/model.hpp"
#include "memsched/plan/revolve.hpp"
#include "memsched/problems/burgers.hpp"

int main() {
  using namespace memsched;
  const Burgers model(4096, 0.001);
  const Burgers::State u0 = model.initial_state();
  const Step n = 400;
  const auto folder = std::filesystem::temp_directory_path() /
                      ("memsched-example-disk-" + std::to_string(::getpid()));

  auto ram = make_ram_storage(4 * 33 * 1024, "ram");
  auto disk = make_compressed_storage(make_file_storage(folder, 64 << 20), Compression::kZstd);

  // Costs measured on a real checkpoint, so the planner sees this machine's disk and codec.
  std::vector<std::byte> sample(StateCodec<Burgers::State>::size(u0));
  StateCodec<Burgers::State>::save(u0, sample.data());
  const LevelCost ram_cost = measure_storage_cost(*ram, sample);
  const LevelCost disk_cost = measure_storage_cost(*disk, sample);
  std::printf("ram:  write %.1f us, read %.1f us per checkpoint\n", ram_cost.write_seconds * 1e6,
              ram_cost.read_seconds * 1e6);
  std::printf("disk: write %.1f us, read %.1f us, %llu bytes per checkpoint of %zu\n",
              disk_cost.write_seconds * 1e6, disk_cost.read_seconds * 1e6,
              static_cast<unsigned long long>(disk_cost.footprint_bytes), sample.size());

  // Revolve with 12 checkpoints on the compressed disk level (level 1).
  RevolveStream schedule(n, 12, 1);
  Burgers::Adjoint gradient;
  ExecutionProfile profile = run_adjoint(model, u0, gradient, schedule, n, {ram.get(), disk.get()});
  profile.problem = "burgers nx=4096";
  profile.planner = "revolve(12) on disk+zstd";
  std::printf("%s", to_text(profile).c_str());

  Burgers::Adjoint reference;
  burgers_gradient_store_all(model, u0, n, reference);
  std::filesystem::remove_all(folder);
  return gradient.u == reference.u && gradient.viscosity == reference.viscosity ? 0 : 1;
}
