/// QuarryFormat module marker.
enum QuarryFormatModule {}
