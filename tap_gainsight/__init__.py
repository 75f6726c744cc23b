"""Singer tap for Gainsight PX and Gainsight CS."""
