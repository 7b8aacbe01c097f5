"""Contract tests: one hypothesis-driven suite proving that spec/hire.yaml, the generated client and a
server (the local mock, a partner sandbox or Feishu itself) agree. Strategies, the conformance check and
the targets are importable so other suites can reuse them."""
