/// QuarryIndex module marker.
enum QuarryIndexModule {}
