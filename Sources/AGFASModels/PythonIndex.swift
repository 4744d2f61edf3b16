import Foundation

/// Finds a wheel's URL on a Python package index through its simple API (PEP 691 JSON, or the
/// PEP 503 HTML page), as pip does, without running pip.
struct PythonIndex {
  var base: String
  var transport: HTTPTransport

  struct Link {
    var url: String
    var sha256: String?
  }

  func link(project: String, file: String) async throws -> Link {
    let page = base.trimmingSuffix("/") + "/" + normalized(project) + "/"
    let (response, body) = try await transport.fetch(
      page, headers: [("Accept", "application/vnd.pypi.simple.v1+json, text/html;q=0.1")])
    guard response.status == 200 else {
      throw ModelsError.http("\(project): the package index answered \(response.status) at \(page)")
    }
    let links: [String: Link]
    if (response.header("Content-Type") ?? "").contains("json") {
      links = try parseJSON(body, page: page)
    } else {
      links = parseHTML(String(decoding: body, as: UTF8.self), page: page)
    }
    guard let link = links[file] else {
      throw ModelsError.http("\(project): the package index at \(base) has no \(file)")
    }
    return link
  }

  /// PEP 503's name normalisation.
  func normalized(_ name: String) -> String {
    name.lowercased().replacingOccurrences(of: "[-_.]+", with: "-", options: .regularExpression)
  }

  private func parseJSON(_ body: Data, page: String) throws -> [String: Link] {
    struct Page: Decodable {
      var files: [File]
      struct File: Decodable {
        var filename: String
        var url: String
        var hashes: [String: String]?
      }
    }
    let parsed: Page
    do { parsed = try JSONDecoder().decode(Page.self, from: body) } catch {
      throw ModelsError.http("the package index page \(page) is not the JSON expected (\(describe(error)))")
    }
    var links: [String: Link] = [:]
    for file in parsed.files {
      links[file.filename] = Link(url: resolve(file.url, page: page), sha256: file.hashes?["sha256"])
    }
    return links
  }

  private func parseHTML(_ html: String, page: String) -> [String: Link] {
    var links: [String: Link] = [:]
    let pattern = #"<a\s[^>]*href\s*=\s*"([^"]*)"[^>]*>([^<]*)</a>"#
    guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return [:] }
    let range = NSRange(html.startIndex..., in: html)
    for match in regex.matches(in: html, range: range) {
      guard let href = Range(match.range(at: 1), in: html), let text = Range(match.range(at: 2), in: html) else {
        continue
      }
      let raw = unescape(String(html[href]))
      let name = unescape(String(html[text])).trimmingCharacters(in: .whitespaces)
      var url = raw
      var sha256: String?
      if let hash = raw.range(of: "#") {
        url = String(raw[..<hash.lowerBound])
        let fragment = raw[hash.upperBound...]
        if fragment.hasPrefix("sha256=") { sha256 = String(fragment.dropFirst(7)) }
      }
      links[name] = Link(url: resolve(url, page: page), sha256: sha256)
    }
    return links
  }

  private func resolve(_ url: String, page: String) -> String {
    URL(string: url, relativeTo: URL(string: page))?.absoluteString ?? url
  }

  private func unescape(_ s: String) -> String {
    s.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<")
      .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
      .replacingOccurrences(of: "&#x27;", with: "'").replacingOccurrences(of: "&#39;", with: "'")
  }
}
