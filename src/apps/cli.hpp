#pragma once
namespace dn {
// darknet's command line; returns the process exit status.
int run_cli(int argc, char** argv);
}
