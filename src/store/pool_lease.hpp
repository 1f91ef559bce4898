// A connection borrowed from a backend's pool, given back when the lease ends. Both backends'
// pools hand these out (Pool::Lease); not thread-safe itself (one thread uses one lease).
#pragma once

#include <memory>

namespace rallyuxr::store {

template <class Pool, class Connection>
class PoolLease {
 public:
  PoolLease(Pool& p, std::unique_ptr<Connection> c) : pool_(p), c_(std::move(c)) {}
  ~PoolLease() { pool_.give_back(std::move(c_)); }
  PoolLease(const PoolLease&) = delete;
  PoolLease& operator=(const PoolLease&) = delete;
  Connection& operator*() { return *c_; }
  Connection* operator->() { return c_.get(); }

 private:
  Pool& pool_;
  std::unique_ptr<Connection> c_;
};

}  // namespace rallyuxr::store
