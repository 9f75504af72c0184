#pragma once
// The parameters of every loss; each loss reads only the ones it uses (docs/losses.md lists
// which) and checks those. The cfg keys are in brackets. A plain struct: device code takes it.
namespace dn {

struct LossParams {
  float gamma = 2.0f;      // focusing exponent [focal_gamma]
  float alpha = 0.25f;     // weight of positives; negatives get 1-alpha [focal_alpha]
  float beta = 0.0f;       // focal_star shift [focal_beta]
  float poly_eps = 1.0f;   // poly1 coefficient of (1-p_t)^(gamma+1) [poly_eps]
  float floor_pos = 1.0f;  // mfocal weight floor l+ on positives [mfocal_floor_pos]
  float floor_neg = 0.0f;  // mfocal weight floor l- on negatives [mfocal_floor_neg]
};

}  // namespace dn
