"""The hand-written runtime of the Feishu Hire test kit: spec access, codegen, the CLI, client safety."""
