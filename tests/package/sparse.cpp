// Uses the installed sparse component: the assembly tree of a 2D grid Laplacian.
#include <memsched/tree/assembly_tree.hpp>

int main() {
  const memsched::SparsePattern pattern = memsched::grid_laplacian(2, 8, 8, 1, 5);
  if (!memsched::have_cholmod()) return pattern.num_rows == 64 ? 0 : 1;
  const memsched::Tree tree = memsched::assembly_tree(pattern);
  return tree.num_nodes() > 0 ? 0 : 1;
}
