// Assembly trees from CHOLMOD's symbolic analysis (built only when CHOLMOD is found).
#include "memsched/tree/assembly_tree.hpp"

#include <stdexcept>
#include <string>

#ifdef MEMSCHED_HAVE_CHOLMOD
#include <cholmod.h>
#endif

namespace memsched {

namespace {

// Memory and work of a front of `eta` eliminated columns and a contribution block of order
// `c`: triangular storage or the square fronts of Eyraud-Dubois et al. (ACM TOPC 2015).
TreeNode front(std::int64_t eta, std::int64_t c, FrontWeights weights) {
  TreeNode node;
  if (weights == FrontWeights::kTriangular) {
    node.output_size = c * (c + 1) / 2;
    node.exec_memory = (eta + c) * (eta + c + 1) / 2 - node.output_size;
    double work = 0.0;
    for (std::int64_t k = 0; k < eta; ++k) {
      const auto rows = static_cast<double>(eta + c - k);
      work += rows * rows;
    }
    node.work = work;
  } else {
    node.output_size = c * c;
    node.exec_memory = eta * eta + 2 * eta * c;
    const auto e = static_cast<double>(eta);
    const auto cc = static_cast<double>(c);
    node.work = 2.0 / 3.0 * e * e * e + e * e * cc + e * cc * cc;
  }
  return node;
}

// Joins several roots under a virtual root of zero size and work.
Tree finish(std::vector<TreeNode> nodes) {
  std::int64_t roots = 0;
  for (const TreeNode& n : nodes) roots += n.parent < 0;
  if (roots > 1) {
    const auto virtual_root = static_cast<NodeId>(nodes.size());
    for (TreeNode& n : nodes) {
      if (n.parent < 0) n.parent = virtual_root;
    }
    nodes.push_back({-1, 0, 0, 0.0});
  }
  return Tree(std::move(nodes));
}

}  // namespace

#ifdef MEMSCHED_HAVE_CHOLMOD

bool have_cholmod() noexcept { return true; }

Tree assembly_tree(const SparsePattern& pattern, const AssemblyTreeOptions& options) {
  const std::int64_t n = pattern.num_rows;
  if (n < 1) throw std::invalid_argument("assembly_tree: empty pattern");
  cholmod_common common;
  cholmod_l_start(&common);
  common.print = 0;
  common.error_handler = nullptr;
  common.nmethods = 1;
  switch (options.ordering) {
    case Ordering::kNatural:
      common.method[0].ordering = CHOLMOD_NATURAL;
      break;
    case Ordering::kAmd:
      common.method[0].ordering = CHOLMOD_AMD;
      break;
    case Ordering::kMetis:
      common.method[0].ordering = CHOLMOD_METIS;
      break;
    case Ordering::kNestedDissection:
      common.method[0].ordering = CHOLMOD_NESDIS;
      break;
  }
  common.postorder = 1;
  common.supernodal =
      options.amalgamation == Amalgamation::kNone ? CHOLMOD_SIMPLICIAL : CHOLMOD_SUPERNODAL;
  if (options.amalgamation == Amalgamation::kFundamental) {
    for (int k = 0; k < 3; ++k) {
      common.nrelax[k] = 0;
      common.zrelax[k] = 0.0;
    }
  }
  // Upper triangle of the symmetric pattern (stype = 1), sorted and packed.
  std::int64_t upper = 0;
  for (std::int64_t j = 0; j < n; ++j) {
    for (auto k = pattern.column_start[static_cast<std::size_t>(j)];
         k < pattern.column_start[static_cast<std::size_t>(j) + 1]; ++k) {
      upper += pattern.row_index[static_cast<std::size_t>(k)] <= j;
    }
  }
  cholmod_sparse* a =
      cholmod_l_allocate_sparse(static_cast<std::size_t>(n), static_cast<std::size_t>(n),
                                static_cast<std::size_t>(upper), 1, 1, 1, CHOLMOD_PATTERN, &common);
  if (a == nullptr) {
    cholmod_l_finish(&common);
    throw std::runtime_error("assembly_tree: CHOLMOD could not allocate the matrix");
  }
  auto* ap = static_cast<SuiteSparse_long*>(a->p);
  auto* ai = static_cast<SuiteSparse_long*>(a->i);
  SuiteSparse_long next = 0;
  for (std::int64_t j = 0; j < n; ++j) {
    ap[j] = next;
    for (auto k = pattern.column_start[static_cast<std::size_t>(j)];
         k < pattern.column_start[static_cast<std::size_t>(j) + 1]; ++k) {
      const std::int64_t i = pattern.row_index[static_cast<std::size_t>(k)];
      if (i <= j) ai[next++] = i;
    }
  }
  ap[n] = next;
  cholmod_factor* l = cholmod_l_analyze(a, &common);
  cholmod_l_free_sparse(&a, &common);
  if (l == nullptr || common.status < CHOLMOD_OK) {
    const int status = common.status;
    if (l != nullptr) cholmod_l_free_factor(&l, &common);
    cholmod_l_finish(&common);
    throw std::runtime_error("assembly_tree: cholmod_analyze failed (status " +
                             std::to_string(status) + ")");
  }
  std::vector<TreeNode> nodes;
  if (l->is_super) {
    const auto nsuper = static_cast<std::int64_t>(l->nsuper);
    const auto* super = static_cast<const SuiteSparse_long*>(l->super);
    const auto* pi = static_cast<const SuiteSparse_long*>(l->pi);
    const auto* ls = static_cast<const SuiteSparse_long*>(l->s);
    std::vector<std::int64_t> owner(static_cast<std::size_t>(n));
    for (std::int64_t s = 0; s < nsuper; ++s) {
      for (auto j = super[s]; j < super[s + 1]; ++j) owner[static_cast<std::size_t>(j)] = s;
    }
    nodes.resize(static_cast<std::size_t>(nsuper));
    for (std::int64_t s = 0; s < nsuper; ++s) {
      const std::int64_t eta = super[s + 1] - super[s];
      const std::int64_t rows = pi[s + 1] - pi[s];
      TreeNode node = front(eta, rows - eta, options.weights);
      // Parent: the supernode of the first row below the diagonal block (rows are sorted).
      node.parent = rows > eta ? owner[static_cast<std::size_t>(ls[pi[s] + eta])] : -1;
      nodes[static_cast<std::size_t>(s)] = node;
    }
  } else {
    // Column elimination tree of P A P^T (Liu's algorithm with path compression), column
    // counts from CHOLMOD.
    const auto* perm = static_cast<const SuiteSparse_long*>(l->Perm);
    const auto* count = static_cast<const SuiteSparse_long*>(l->ColCount);
    std::vector<std::int64_t> inverse(static_cast<std::size_t>(n));
    for (std::int64_t k = 0; k < n; ++k) inverse[static_cast<std::size_t>(perm[k])] = k;
    std::vector<std::int64_t> parent(static_cast<std::size_t>(n), -1);
    std::vector<std::int64_t> ancestor(static_cast<std::size_t>(n), -1);
    for (std::int64_t k = 0; k < n; ++k) {
      const auto original = static_cast<std::size_t>(perm[k]);
      for (auto e = pattern.column_start[original]; e < pattern.column_start[original + 1]; ++e) {
        std::int64_t r =
            inverse[static_cast<std::size_t>(pattern.row_index[static_cast<std::size_t>(e)])];
        if (r >= k) continue;
        while (ancestor[static_cast<std::size_t>(r)] != -1 &&
               ancestor[static_cast<std::size_t>(r)] != k) {
          const std::int64_t up = ancestor[static_cast<std::size_t>(r)];
          ancestor[static_cast<std::size_t>(r)] = k;
          r = up;
        }
        if (ancestor[static_cast<std::size_t>(r)] == -1) {
          ancestor[static_cast<std::size_t>(r)] = k;
          parent[static_cast<std::size_t>(r)] = k;
        }
      }
    }
    nodes.resize(static_cast<std::size_t>(n));
    for (std::int64_t k = 0; k < n; ++k) {
      TreeNode node = front(1, count[k] - 1, options.weights);
      node.parent = parent[static_cast<std::size_t>(k)];
      nodes[static_cast<std::size_t>(k)] = node;
    }
  }
  cholmod_l_free_factor(&l, &common);
  cholmod_l_finish(&common);
  return finish(std::move(nodes));
}

#else

bool have_cholmod() noexcept { return false; }

Tree assembly_tree(const SparsePattern&, const AssemblyTreeOptions&) {
  throw std::runtime_error("assembly_tree: memsched was built without CHOLMOD (SuiteSparse)");
}

#endif

}  // namespace memsched
