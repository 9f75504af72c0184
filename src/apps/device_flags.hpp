#pragma once
// Darknet's device flags, accepted by every command that runs a network (train, test, map, valid,
// recall, demo): -nogpu (run on the CPU), -i N and -gpus N (run on GPU N; -gpus takes Darknet's
// comma list, and only its first device is used). Builds without GPU=1 accept and ignore them.
namespace dn {

class Args;

// Consumes the flags from args and, in GPU builds, tells the CUDA backend (docs/cuda.md).
void take_device_flags(Args& args);

}  // namespace dn
