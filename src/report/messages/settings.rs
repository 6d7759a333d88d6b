//! Wording of the settings step's usage errors: flag conflicts and cp's operand grammar.
