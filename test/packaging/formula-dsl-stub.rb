# A stand-in for Homebrew's Formula DSL (Homebrew itself cannot run here): loads a formula file and prints,
# as JSON, what each OS/CPU block declares, the service block and which methods the formula defines.
require "json"
require "pathname"

class Formula
  PREFIX = Pathname("/opt/homebrew")
  def self.record = (@record ||= { "platforms" => {} })
  def self.desc(value) = record["desc"] = value
  def self.homepage(value) = record["homepage"] = value
  def self.version(value) = record["version"] = value
  def self.license(value) = record["license"] = value
  def self.within(key, value)
    instance_variable_set(key, value)
    yield
    instance_variable_set(key, nil)
  end
  def self.on_macos(&block) = within(:@os, "darwin", &block)
  def self.on_linux(&block) = within(:@os, "linux", &block)
  def self.on_arm(&block) = within(:@cpu, "arm64", &block)
  def self.on_intel(&block) = within(:@cpu, "x64", &block)
  def self.platform = (record["platforms"]["#{@os}-#{@cpu}"] ||= {})
  def self.url(value) = platform["url"] = value
  def self.sha256(value) = platform["sha256"] = value
  def self.test(&block) = record["test"] = !block.nil?
  def self.service(&block)
    service = Service.new
    service.instance_eval(&block)
    record["service"] = service.fields
  end

  class Service
    attr_reader :fields
    def initialize = @fields = {}
    def opt_bin = PREFIX/"opt/mcpgw/bin"
    def etc = PREFIX/"etc"
    def var = PREFIX/"var"
    %w[run keep_alive working_dir log_path error_log_path].each do |name|
      define_method(name) { |value| @fields[name] = value.is_a?(Array) ? value.map(&:to_s) : (value.is_a?(Pathname) ? value.to_s : value) }
    end
  end
end

load ARGV.fetch(0)
formula = Object.const_get(:Mcpgw)
puts JSON.generate(formula.record.merge("superclass" => formula.superclass.name, "methods" => formula.instance_methods(false).map(&:to_s).sort))
