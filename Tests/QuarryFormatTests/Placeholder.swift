import XCTest

final class QuarryFormatTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
