/// QuarryConfig module marker.
enum QuarryConfigModule {}
