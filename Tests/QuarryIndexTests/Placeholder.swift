import XCTest

final class QuarryIndexTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
