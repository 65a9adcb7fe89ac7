// Naming the integer argument that is out of range (checked_int.hpp): every function of the
// module runs through a wrapper that turns a recorded out-of-range value into a ValueError.
#include "checked_int.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace py = pybind11;

namespace memsched::python {

namespace {

using Impl = py::handle (*)(py::detail::function_call&);

struct OutOfRange {
  py::object value;  // a strong reference: the record may outlive the call that made it
  std::string range;
  std::string where;  // "F: NAME", once the overload whose load failed has named it
};

// Only touched with the GIL held.
std::optional<OutOfRange>& pending() {
  static std::optional<OutOfRange> record;
  return record;
}

// Never destroyed: the functions may be called during interpreter shutdown.
std::unordered_map<const py::detail::function_record*, Impl>& originals() {
  static auto* map = new std::unordered_map<const py::detail::function_record*, Impl>();
  return *map;
}
PyCFunctionWithKeywords original_dispatcher = nullptr;

std::string describe(const py::handle value) {
  // str() of a huge int is slow (and refused beyond 4300 digits): give its size instead.
  const auto number = py::reinterpret_steal<py::object>(PyNumber_Long(value.ptr()));
  if (!number) {
    PyErr_Clear();
    return py::repr(value).cast<std::string>();
  }
  const auto bits = number.attr("bit_length")().cast<std::size_t>();
  if (bits > 128) return "an integer of " + std::to_string(bits) + " bits";
  return py::str(number).cast<std::string>();
}

// The name of the argument that holds `value`: itself, or an element of a list, tuple or dict.
std::string argument_name(const py::detail::function_call& call, const py::handle value) {
  const std::vector<py::detail::argument_record>& records = call.func.args;
  auto name = [&](std::size_t i) {
    return i < records.size() && records[i].name ? std::string(records[i].name)
                                                 : "#" + std::to_string(i + 1);
  };
  // A method's first argument is its instance (for a constructor, not even a Python object).
  for (std::size_t i = call.func.is_method ? 1 : 0; i < call.args.size(); ++i) {
    const py::handle argument = call.args[i];
    if (argument.is(value)) return name(i);
    if (PyList_Check(argument.ptr()) || PyTuple_Check(argument.ptr())) {
      for (const py::handle item : py::reinterpret_borrow<py::sequence>(argument)) {
        if (item.is(value)) return "an element of " + name(i);
      }
    } else if (PyDict_Check(argument.ptr())) {
      for (const auto& item : py::reinterpret_borrow<py::dict>(argument)) {
        if (item.first.is(value) || item.second.is(value)) return "an element of " + name(i);
      }
    }
  }
  return "an integer argument";
}

std::string function_name(const py::detail::function_call& call) {
  std::string name = call.func.name ? call.func.name : "function";
  if (call.func.is_method && call.func.scope && py::hasattr(call.func.scope, "__name__")) {
    name = py::str(call.func.scope.attr("__name__")).cast<std::string>() + "." + name;
  }
  return name;
}

// Each overload: names the argument whose value its load recorded as out of range.
py::handle naming_impl(py::detail::function_call& call) {
  const py::handle result = originals().at(&call.func)(call);
  if (result.ptr() == PYBIND11_TRY_NEXT_OVERLOAD && pending() && pending()->where.empty()) {
    pending()->where = function_name(call) + ": " + argument_name(call, pending()->value);
  }
  return result;
}

// The whole call (pybind11's dispatcher tries every overload, without then with conversions):
// "incompatible function arguments" after an out-of-range integer becomes the ValueError.
PyObject* checked_dispatcher(PyObject* self, PyObject* args, PyObject* kwargs) {
  // Calls nest (pybind11's own error message calls repr() of the arguments): each keeps its
  // own record.
  std::optional<OutOfRange> outer = std::move(pending());
  pending().reset();
  PyObject* result = original_dispatcher(self, args, kwargs);
  std::optional<OutOfRange> record = std::move(pending());
  pending() = std::move(outer);
  if (result != nullptr || !record || !PyErr_ExceptionMatches(PyExc_TypeError)) return result;
  PyErr_Clear();
  const std::string where = record->where.empty() ? "an integer argument" : record->where;
  try {
    const std::string message =
        where + " = " + describe(record->value) + " is out of range " + record->range;
    PyErr_SetString(PyExc_ValueError, message.c_str());
  } catch (const py::error_already_set&) {
    PyErr_SetString(PyExc_ValueError, (where + " is out of range " + record->range).c_str());
  }
  return nullptr;
}

void wrap_function(const py::handle function) {
  py::handle callable = py::detail::get_function(function);
  if (!callable || !PyCFunction_Check(callable.ptr())) return;
  const py::handle self = PyCFunction_GET_SELF(callable.ptr());
  if (!self || !py::isinstance<py::capsule>(self)) return;
  const auto capsule = py::reinterpret_borrow<py::capsule>(self);
  if (!py::detail::is_function_record_capsule(capsule)) return;
  auto* head = capsule.get_pointer<py::detail::function_record>();
  // Operators answer NotImplemented for arguments they cannot load: left as they are.
  if (head == nullptr || head->is_operator || head->def == nullptr) return;
  for (auto* record = head; record != nullptr; record = record->next) {
    if (originals().count(record) != 0) continue;
    originals().emplace(record, record->impl);
    record->impl = naming_impl;
  }
  // Every pybind11 function has the same dispatcher; the function object calls it through
  // the head record's method definition.
  const auto dispatcher =
      reinterpret_cast<PyCFunctionWithKeywords>(reinterpret_cast<void (*)()>(head->def->ml_meth));
  if (dispatcher == checked_dispatcher) return;
  if (original_dispatcher == nullptr) original_dispatcher = dispatcher;
  if (dispatcher != original_dispatcher) return;  // not pybind11's: leave it
  head->def->ml_meth =
      reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(checked_dispatcher));
}

void wrap_scope(const py::handle scope, std::unordered_set<PyObject*>& seen) {
  if (!seen.insert(scope.ptr()).second) return;
  // A class's __dict__ is a read-only mapping proxy: iterate over a copy.
  for (const auto& item : py::dict(scope.attr("__dict__"))) {
    const py::handle value = item.second;
    if (PyType_Check(value.ptr())) {
      if (py::detail::get_type_info(reinterpret_cast<PyTypeObject*>(value.ptr())) != nullptr) {
        wrap_scope(value, seen);
      }
    } else if (py::isinstance<py::staticmethod>(value)) {
      wrap_function(value.attr("__func__"));
    } else if (PyObject_TypeCheck(value.ptr(), &PyProperty_Type)) {
      for (const char* accessor : {"fget", "fset"}) wrap_function(value.attr(accessor));
    } else {
      wrap_function(value);
    }
  }
}

}  // namespace

void record_integer_out_of_range(const py::handle value, const std::string& range) {
  pending() = OutOfRange{py::reinterpret_borrow<py::object>(value), range, {}};
}

void name_integer_range_errors(py::module_& module) {
  std::unordered_set<PyObject*> seen;
  wrap_scope(module, seen);
}

}  // namespace memsched::python
