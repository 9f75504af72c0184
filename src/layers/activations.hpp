#pragma once
// Darknet's activation functions. The gradient is taken with respect to the pre-activation x
// (kept during training), which works for every function including mish and swish.
#include <string>

namespace dn {

enum class Activation { Linear, Leaky, Relu, Logistic, Tanh, Mish, Swish, Elu, Selu, Relu6, Hardtan, Lhtan, Ramp };

// Throws dn::Error for an unknown name (the caller adds file:line).
Activation parse_activation(const std::string& name);
const char* activation_name(Activation a);

// y[i] = f(x[i]) for n elements (in-place allowed).
void activate(Activation a, const float* x, float* y, size_t n);
// delta[i] *= f'(x[i]).
void activate_gradient(Activation a, const float* x, float* delta, size_t n);

float activate_one(Activation a, float x);
float activation_derivative(Activation a, float x);

}  // namespace dn
