import Foundation
@testable import QuarryServer
import XCTest

final class LatencyHistogramTests: XCTestCase {
    func testPercentilesAreWithinTwoPercentOfTheExactOnes() {
        var histogram = LatencyHistogram()
        var values: [Int] = []
        var state: UInt64 = 12345
        for _ in 0..<100_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            // Log-uniform from 1 µs to ~1 s: the shape of real latencies.
            let value = Int(pow(10.0, Double(state >> 11) / Double(1 << 53) * 6))
            values.append(value)
            histogram.record(value)
        }
        values.sort()
        for fraction in [0.5, 0.9, 0.99, 0.999] {
            let exact = Double(values[Int((Double(values.count) * fraction).rounded(.up)) - 1])
            let estimate = Double(histogram.percentile(fraction))
            XCTAssertEqual(estimate, exact, accuracy: max(1, exact * 0.02), "p\(fraction * 100)")
        }
        XCTAssertEqual(histogram.maximum, UInt64(values.last!))
        XCTAssertEqual(histogram.total, 100_000)
    }

    func testSmallValuesAreExactAndHugeOnesClamp() {
        var histogram = LatencyHistogram()
        for value in [0, 1, 2, 3, 127] { histogram.record(value) }
        XCTAssertEqual(histogram.percentile(0.2), 0)
        XCTAssertEqual(histogram.percentile(1.0), 127)
        histogram.record(Int.max)
        XCTAssertEqual(histogram.percentile(1.0), UInt64(Int.max))
        XCTAssertEqual(LatencyHistogram().percentile(0.5), 0)
    }

    func testBucketsRoundTripTheirRepresentative() {
        for value: UInt64 in [128, 129, 200, 255, 256, 1000, 65_535, 1 << 30] {
            let bucket = LatencyHistogram.bucket(value)
            let representative = LatencyHistogram.representative(bucket)
            XCTAssertEqual(LatencyHistogram.bucket(representative), bucket, "value \(value)")
            XCTAssertEqual(Double(representative), Double(value), accuracy: Double(value) / 64 + 1)
        }
    }
}
