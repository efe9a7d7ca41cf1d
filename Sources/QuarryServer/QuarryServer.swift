/// QuarryServer module marker.
enum QuarryServerModule {}
