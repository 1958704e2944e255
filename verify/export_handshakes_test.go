package verify

// RingCentralType is ringCentralType, for the external tests.
var RingCentralType = ringCentralType
