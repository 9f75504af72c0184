#include "train/sgd.hpp"

#include <string>

#include "core/error.hpp"

namespace dn {

Sgd::Sgd(ParamStore& store) : store_(store) {
  for (const ParamStore::Entry& e : store_.params()) momentum_.push_back({e.layer, e.number, store_.zeros(e.p.size)});
}

void Sgd::step(const UpdateArgs& a) {
  // The parameters are asked for at every step: a layer may move its buffers (a resize).
  const std::vector<ParamStore::Entry> ps = store_.params();
  if (ps.size() != momentum_.size()) fail("internal: the network's parameters changed under the optimizer");
  for (size_t i = 0; i < ps.size(); ++i) {
    const ParamStore::Entry& e = ps[i];
    Momentum& m = momentum_[i];
    if (e.layer != m.layer || e.number != m.number || e.p.size != m.v->size())
      fail("internal: parameter " + std::to_string(i) + " of layer " + std::to_string(e.layer) +
           " changed under the optimizer");
    if (e.p.grad == nullptr) continue;  // a layer that never trained
    store_.sgd(e.p, m.v->data(), a);
  }
  store_.changed();
}

}  // namespace dn
