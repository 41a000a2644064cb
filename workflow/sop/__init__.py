"""SOPs as data: the spec and its YAML parser, the registry of versions, the state machine built
from a spec, BPMN export and the bagan alur.
"""
