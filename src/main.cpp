#include "apps/cli.hpp"

int main(int argc, char** argv) { return dn::run_cli(argc, argv); }
