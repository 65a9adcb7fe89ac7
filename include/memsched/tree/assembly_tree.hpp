// Elimination and assembly trees of sparse symmetric matrices: the task trees of the
// multifrontal method, with front sizes as memory weights.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "memsched/tree/tree.hpp"

namespace memsched {

/// The nonzero pattern of a square sparse matrix, symmetrised (A + A^T) with the diagonal,
/// in compressed-column form: rows of column j are row_index[column_start[j] ..
/// column_start[j+1]), sorted, without duplicates.
struct SparsePattern {
  std::int64_t num_rows = 0;
  std::vector<std::int64_t> column_start;  ///< size num_rows + 1
  std::vector<std::int64_t> row_index;
  std::int64_t num_nonzeros() const { return static_cast<std::int64_t>(row_index.size()); }
};

/// Reads a Matrix Market file (`%%MatrixMarket matrix coordinate real|integer|pattern|complex
/// general|symmetric|skew-symmetric|hermitian`) into its symmetrised pattern; values are
/// ignored. Throws ParseError (line, column) if the text is malformed, the matrix is not
/// square, an index is out of range, the header promises more entries than the text holds, or
/// the order exceeds both 2^20 and 16 times the entries (memory stays O(text) whatever the
/// header says). O(nnz log nnz).
SparsePattern read_matrix_market(std::string_view text);

/// Reads a Harwell-Boeing file (assembled, e.g. `RUA`, `RSA`, `PSA`, `CUA`; the fixed-width
/// `(nIw)` integer formats of its header) into its symmetrised pattern; values are ignored.
/// Throws ParseError for malformed text, a non-square or elemental matrix, or indices out of
/// range. O(nnz log nnz), memory O(text) beyond the order.
SparsePattern read_harwell_boeing(std::string_view text);

/// read_matrix_market if the text starts with `%%MatrixMarket`, else read_harwell_boeing.
SparsePattern read_sparse_pattern(std::string_view text);

/// The pattern of a grid Laplacian: `dimensions` 2 or 3, `nx` x `ny` (x `nz`) points, with
/// the 5/7-point (stencil_points 5 or 7) or 9/27-point stencil (9 or 27). Throws
/// std::invalid_argument for other values, sizes < 1, or more than 5 * 10^7 / stencil_points
/// points (the pattern then needs about 1 GB).
SparsePattern grid_laplacian(int dimensions, std::int64_t nx, std::int64_t ny, std::int64_t nz,
                             int stencil_points);

/// Fill-reducing ordering used before building the tree.
enum class Ordering { kNatural, kAmd, kMetis, kNestedDissection };

/// Granularity of the tree.
enum class Amalgamation {
  kNone,         ///< column elimination tree: one node per column
  kFundamental,  ///< fundamental supernodes (CHOLMOD nrelax = zrelax = 0)
  kRelaxed,      ///< CHOLMOD's default relaxed amalgamation
};

/// How a front of eta eliminated columns and a contribution block of order c is weighed.
enum class FrontWeights {
  /// Triangular storage: f = c(c+1)/2, m = (eta+c)(eta+c+1)/2 - f,
  /// w = sum over the eta columns of (rows in the column)^2.
  kTriangular,
  /// Square fronts as in the TOPC'15 data set: f = c^2, m = eta^2 + 2 eta c,
  /// w = (2/3)eta^3 + eta^2 c + eta c^2.
  kSquare,
};

/// Options of assembly_tree.
struct AssemblyTreeOptions {
  Ordering ordering = Ordering::kMetis;
  Amalgamation amalgamation = Amalgamation::kFundamental;
  FrontWeights weights = FrontWeights::kTriangular;
};

/// True if the library was built with CHOLMOD (SuiteSparse), which assembly_tree needs.
bool have_cholmod() noexcept;

/// The assembly tree of the pattern's Cholesky factorisation: CHOLMOD's symbolic analysis
/// (cholmod_analyze) with the chosen ordering gives the supernodes (or columns) and their
/// row counts; node k's parent is the supernode of its first off-diagonal row. A pattern
/// with several connected components gets a virtual root of zero size and work joining the
/// component roots. Throws std::runtime_error if CHOLMOD is missing or fails (for example
/// METIS requested but unavailable), std::invalid_argument for an empty pattern.
Tree assembly_tree(const SparsePattern& pattern, const AssemblyTreeOptions& options = {});

}  // namespace memsched
