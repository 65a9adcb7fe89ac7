// Sparse patterns: a hardened Matrix Market reader and grid Laplacian generators.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <string>
#include <utility>

#include "memsched/errors.hpp"
#include "memsched/tree/assembly_tree.hpp"

namespace memsched {

namespace {

// Largest matrix order read_matrix_market and grid_laplacian accept: the pattern always
// holds the diagonal, so memory is O(order) even for a nearly empty file.
constexpr std::int64_t kMaxOrder = 100000000;

SparsePattern from_pairs(std::int64_t n,
                         std::vector<std::pair<std::int64_t, std::int64_t>>& pairs) {
  for (std::int64_t i = 0; i < n; ++i) pairs.emplace_back(i, i);
  // Sorted by (column, row); both triangles are already present.
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second < b.second : a.first < b.first;
  });
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  SparsePattern p;
  p.num_rows = n;
  p.column_start.assign(static_cast<std::size_t>(n) + 1, 0);
  p.row_index.reserve(pairs.size());
  for (const auto& [row, col] : pairs) {
    ++p.column_start[static_cast<std::size_t>(col) + 1];
    p.row_index.push_back(row);
  }
  for (std::size_t j = 0; j < static_cast<std::size_t>(n); ++j) {
    p.column_start[j + 1] += p.column_start[j];
  }
  return p;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits a line into blank-separated tokens with their columns (from 1).
std::vector<std::pair<std::string_view, std::int64_t>> tokens(std::string_view line) {
  std::vector<std::pair<std::string_view, std::int64_t>> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    const std::size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    out.emplace_back(line.substr(start, i - start), static_cast<std::int64_t>(start) + 1);
  }
  return out;
}

std::int64_t integer(std::string_view token, std::int64_t line, std::int64_t column,
                     const char* what) {
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || ptr != token.data() + token.size()) {
    throw ParseError(
        std::string("Matrix Market: bad ") + what + " '" + std::string(token.substr(0, 40)) + "'",
        line, column);
  }
  return value;
}

}  // namespace

SparsePattern read_matrix_market(std::string_view text) {
  std::size_t pos = 0;
  std::int64_t line_number = 0;
  auto next_line = [&](std::string_view& line) {
    if (pos >= text.size()) return false;
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    return true;
  };
  std::string_view line;
  if (!next_line(line)) throw ParseError("Matrix Market: empty file", 1);
  const auto header = tokens(line);
  if (header.size() != 5 || lower(header[0].first) != "%%matrixmarket" ||
      lower(header[1].first) != "matrix") {
    throw ParseError("Matrix Market: expected '%%MatrixMarket matrix coordinate FIELD SYMMETRY'",
                     1);
  }
  if (lower(header[2].first) != "coordinate") {
    throw ParseError("Matrix Market: only the coordinate (sparse) format is read", 1,
                     header[2].second);
  }
  const std::string field = lower(header[3].first);
  if (field != "real" && field != "integer" && field != "pattern" && field != "complex") {
    throw ParseError("Matrix Market: unknown field '" + field.substr(0, 40) + "'", 1,
                     header[3].second);
  }
  const std::string symmetry = lower(header[4].first);
  if (symmetry != "general" && symmetry != "symmetric" && symmetry != "skew-symmetric" &&
      symmetry != "hermitian") {
    throw ParseError("Matrix Market: unknown symmetry '" + symmetry.substr(0, 40) + "'", 1,
                     header[4].second);
  }
  const std::size_t values = field == "pattern" ? 0 : field == "complex" ? 2 : 1;
  // Size line: the first line that is neither a comment nor blank.
  std::vector<std::pair<std::string_view, std::int64_t>> size_tokens;
  while (size_tokens.empty()) {
    if (!next_line(line)) throw ParseError("Matrix Market: missing size line", line_number + 1);
    if (!line.empty() && line[0] == '%') continue;
    size_tokens = tokens(line);
  }
  if (size_tokens.size() != 3) {
    throw ParseError("Matrix Market: size line must be 'rows columns entries'", line_number);
  }
  const std::int64_t rows =
      integer(size_tokens[0].first, line_number, size_tokens[0].second, "row count");
  const std::int64_t cols =
      integer(size_tokens[1].first, line_number, size_tokens[1].second, "column count");
  const std::int64_t entries =
      integer(size_tokens[2].first, line_number, size_tokens[2].second, "entry count");
  if (rows != cols) {
    throw ParseError("Matrix Market: matrix is " + std::to_string(rows) + " x " +
                         std::to_string(cols) + ", not square",
                     line_number);
  }
  if (rows < 1 || rows > kMaxOrder) {
    throw ParseError("Matrix Market: order " + std::to_string(rows) + " not in [1, 10^8]",
                     line_number, size_tokens[0].second);
  }
  if (entries < 0) throw ParseError("Matrix Market: negative entry count", line_number);
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  // Reserve by what the text can hold, not by what the header claims.
  pairs.reserve(std::min<std::size_t>(static_cast<std::size_t>(entries), text.size() / 2) * 2);
  std::int64_t read = 0;
  while (read < entries) {
    if (!next_line(line)) {
      throw ParseError("Matrix Market: " + std::to_string(entries) + " entries promised, " +
                           std::to_string(read) + " found",
                       line_number + 1);
    }
    if (!line.empty() && line[0] == '%') continue;
    const auto t = tokens(line);
    if (t.empty()) continue;
    if (t.size() != 2 + values) {
      throw ParseError("Matrix Market: expected " + std::to_string(2 + values) + " fields, got " +
                           std::to_string(t.size()),
                       line_number);
    }
    const std::int64_t i = integer(t[0].first, line_number, t[0].second, "row index");
    const std::int64_t j = integer(t[1].first, line_number, t[1].second, "column index");
    if (i < 1 || i > rows || j < 1 || j > rows) {
      throw ParseError("Matrix Market: index (" + std::to_string(i) + ", " + std::to_string(j) +
                           ") outside 1.." + std::to_string(rows),
                       line_number);
    }
    pairs.emplace_back(i - 1, j - 1);
    if (i != j) pairs.emplace_back(j - 1, i - 1);
    ++read;
  }
  // The pattern holds the whole diagonal: refuse orders the file cannot justify, so a short
  // hostile header cannot make us allocate gigabytes.
  if (rows > (std::int64_t{1} << 20) && rows > 16 * std::max<std::int64_t>(read, 1)) {
    throw ParseError("Matrix Market: order " + std::to_string(rows) + " with only " +
                         std::to_string(read) + " entries (more than 16 empty rows per entry)",
                     line_number);
  }
  return from_pairs(rows, pairs);
}

namespace {

// One fixed-width integer format "(nIw)" of a Harwell-Boeing header: n fields of w columns.
struct IntFormat {
  std::int64_t per_line = 0;
  std::int64_t width = 0;
};

IntFormat int_format(std::string_view text, std::int64_t line) {
  std::string f = lower(text);
  f.erase(std::remove(f.begin(), f.end(), ' '), f.end());
  const auto open = f.find('(');
  const auto i = f.find('i');
  const auto close = f.find(')');
  IntFormat out;
  if (open != std::string::npos && i != std::string::npos && close != std::string::npos &&
      open < i && i < close) {
    const std::string count = f.substr(open + 1, i - open - 1);
    const std::string width = f.substr(i + 1, close - i - 1);
    std::from_chars(count.data(), count.data() + count.size(), out.per_line);
    std::from_chars(width.data(), width.data() + width.size(), out.width);
  }
  if (out.per_line < 1 || out.per_line > 1000 || out.width < 1 || out.width > 40) {
    throw ParseError("Harwell-Boeing: bad integer format '" + std::string(text.substr(0, 20)) + "'",
                     line);
  }
  return out;
}

}  // namespace

SparsePattern read_harwell_boeing(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    pos = end + 1;
  }
  if (lines.size() < 4) throw ParseError("Harwell-Boeing: header needs 4 lines", 1);
  const auto counts = tokens(lines[1]);
  const auto shape = tokens(lines[2]);
  if (counts.size() < 4 || shape.size() < 4) {
    throw ParseError("Harwell-Boeing: malformed header (card counts or matrix shape)", 2);
  }
  const std::int64_t pointer_lines = integer(counts[1].first, 2, counts[1].second, "PTRCRD");
  const std::int64_t index_lines = integer(counts[2].first, 2, counts[2].second, "INDCRD");
  const std::int64_t rhs_lines =
      counts.size() >= 5 ? integer(counts[4].first, 2, counts[4].second, "RHSCRD") : 0;
  const std::string type = lower(shape[0].first);
  const std::int64_t rows = integer(shape[1].first, 3, shape[1].second, "NROW");
  const std::int64_t cols = integer(shape[2].first, 3, shape[2].second, "NCOL");
  const std::int64_t nnz = integer(shape[3].first, 3, shape[3].second, "NNZERO");
  if (type.size() != 3 || type[2] != 'a') {
    throw ParseError("Harwell-Boeing: only assembled matrices (type ??A) are read", 3, 1);
  }
  if (rows != cols) throw ParseError("Harwell-Boeing: matrix is not square", 3);
  if (rows < 1 || rows > kMaxOrder) throw ParseError("Harwell-Boeing: order not in [1, 10^8]", 3);
  if (pointer_lines < 0 || index_lines < 0 || rhs_lines < 0 || nnz < 0) {
    throw ParseError("Harwell-Boeing: negative count", 2);
  }
  const std::string_view formats = lines[3];
  const IntFormat pointer_format =
      int_format(formats.substr(0, std::min<std::size_t>(16, formats.size())), 4);
  const IntFormat index_format =
      int_format(formats.size() > 16 ? formats.substr(16, 16) : std::string_view{}, 4);
  const std::size_t first = 4 + (rhs_lines > 0 ? 1u : 0u);
  // Reads `count` integers in `format` starting at line `start`; bounded by the text.
  auto read_ints = [&](std::size_t start, std::int64_t count, IntFormat format, const char* what) {
    std::vector<std::int64_t> values;
    std::size_t line = start;
    while (static_cast<std::int64_t>(values.size()) < count) {
      if (line >= lines.size()) {
        throw ParseError(std::string("Harwell-Boeing: file ends inside the ") + what,
                         static_cast<std::int64_t>(line) + 1);
      }
      const std::string_view l = lines[line];
      for (std::int64_t k = 0;
           k < format.per_line && static_cast<std::int64_t>(values.size()) < count; ++k) {
        const auto at = static_cast<std::size_t>(k * format.width);
        if (at >= l.size()) break;
        std::string_view field = l.substr(at, static_cast<std::size_t>(format.width));
        while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
        while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
        if (field.empty()) break;
        values.push_back(integer(field, static_cast<std::int64_t>(line) + 1,
                                 static_cast<std::int64_t>(at) + 1, what));
      }
      ++line;
    }
    return std::make_pair(values, line);
  };
  const auto [pointers, after_pointers] =
      read_ints(first, cols + 1, pointer_format, "column pointers");
  if (pointers.front() != 1 || pointers.back() != nnz + 1) {
    throw ParseError("Harwell-Boeing: column pointers do not span 1.." + std::to_string(nnz + 1),
                     static_cast<std::int64_t>(first) + 1);
  }
  const auto [indices, unused] = read_ints(after_pointers, nnz, index_format, "row indices");
  (void)unused;
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  pairs.reserve(2 * indices.size() + static_cast<std::size_t>(rows));
  for (std::int64_t j = 0; j < cols; ++j) {
    const std::int64_t begin = pointers[static_cast<std::size_t>(j)];
    const std::int64_t end = pointers[static_cast<std::size_t>(j) + 1];
    if (begin > end || begin < 1 || end > nnz + 1) {
      throw ParseError(
          "Harwell-Boeing: column pointers not increasing at column " + std::to_string(j + 1),
          static_cast<std::int64_t>(first) + 1);
    }
    for (std::int64_t k = begin; k < end; ++k) {
      const std::int64_t i = indices[static_cast<std::size_t>(k - 1)];
      if (i < 1 || i > rows) {
        throw ParseError("Harwell-Boeing: row index " + std::to_string(i) + " outside 1.." +
                             std::to_string(rows),
                         static_cast<std::int64_t>(after_pointers) + 1);
      }
      pairs.emplace_back(i - 1, j);
      if (i - 1 != j) pairs.emplace_back(j, i - 1);
    }
  }
  return from_pairs(rows, pairs);
}

SparsePattern read_sparse_pattern(std::string_view text) {
  if (lower(text.substr(0, 14)) == "%%matrixmarket") return read_matrix_market(text);
  return read_harwell_boeing(text);
}

SparsePattern grid_laplacian(int dimensions, std::int64_t nx, std::int64_t ny, std::int64_t nz,
                             int stencil_points) {
  const bool two_d = dimensions == 2 && (stencil_points == 5 || stencil_points == 9);
  const bool three_d = dimensions == 3 && (stencil_points == 7 || stencil_points == 27);
  if (!two_d && !three_d) {
    throw std::invalid_argument("grid_laplacian: no " + std::to_string(stencil_points) +
                                "-point stencil in " + std::to_string(dimensions) +
                                " dimensions (use 2D 5/9 or 3D 7/27)");
  }
  if (two_d) nz = 1;
  // At most 5 * 10^7 stencil entries (about 1 GB while building the pattern).
  constexpr std::int64_t kMaxEntries = 50000000;
  const std::int64_t max_points = kMaxEntries / stencil_points;
  if (nx < 1 || ny < 1 || nz < 1 || nx > max_points || ny > max_points || nz > max_points ||
      nx * ny > max_points || nx * ny * nz > max_points) {
    throw std::invalid_argument("grid_laplacian: grid " + std::to_string(nx) + " x " +
                                std::to_string(ny) + " x " + std::to_string(nz) +
                                " empty or above 5 * 10^7 / " + std::to_string(stencil_points) +
                                " points");
  }
  const bool full = stencil_points == 9 || stencil_points == 27;
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  const std::int64_t dz_max = two_d ? 0 : 1;
  for (std::int64_t z = 0; z < nz; ++z) {
    for (std::int64_t y = 0; y < ny; ++y) {
      for (std::int64_t x = 0; x < nx; ++x) {
        const std::int64_t me = x + nx * (y + ny * z);
        for (std::int64_t dz = -dz_max; dz <= dz_max; ++dz) {
          for (std::int64_t dy = -1; dy <= 1; ++dy) {
            for (std::int64_t dx = -1; dx <= 1; ++dx) {
              const std::int64_t manhattan = (dx != 0) + (dy != 0) + (dz != 0);
              if (manhattan == 0 || (!full && manhattan > 1)) continue;
              const std::int64_t X = x + dx, Y = y + dy, Z = z + dz;
              if (X < 0 || X >= nx || Y < 0 || Y >= ny || Z < 0 || Z >= nz) continue;
              pairs.emplace_back(X + nx * (Y + ny * Z), me);
            }
          }
        }
      }
    }
  }
  return from_pairs(nx * ny * nz, pairs);
}

}  // namespace memsched
