package bolt

// ACLValueForTest exposes the record encoder to the external tests.
var ACLValueForTest = aclValue
