/// QuarrySystem module marker.
enum QuarrySystemModule {}
