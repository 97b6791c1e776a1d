#pragma once
// One exception family for the whole library. The library never prints and never exits: it throws,
// and the apps turn the kind into an exit code (input 1, usage 2, internal 3).
#include <stdexcept>
#include <string>

namespace qspectra {

enum class ErrorKind { Input, Usage, Internal };

class Error : public std::runtime_error {
public:
  Error(ErrorKind kind, std::string message) : std::runtime_error(std::move(message)), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

private:
  ErrorKind kind_;
};

// Bad input data: a file that is missing, unreadable or malformed. `where` is the file (and tensor).
class InputError : public Error {
public:
  InputError(const std::string& where, const std::string& what)
      : Error(ErrorKind::Input, where.empty() ? what : where + ": " + what) {}
};

// A bad option or spec string given by the user.
class UsageError : public Error {
public:
  explicit UsageError(const std::string& what) : Error(ErrorKind::Usage, what) {}
};

// A bug or an environment failure (LAPACK error code, allocation failure...).
class InternalError : public Error {
public:
  explicit InternalError(const std::string& what) : Error(ErrorKind::Internal, what) {}
};

}  // namespace qspectra
