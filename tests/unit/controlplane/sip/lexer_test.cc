// The SIP parsers' character classes and lexical helpers (lexer.h), against RFC 3261 §25.1.
#include "controlplane/sip/lexer.h"

#include <gtest/gtest.h>

#include <string>

namespace sbc::cp::sip::lex {
namespace {

TEST(LexerTest, TokenAndWordCharactersAreTheRfcSets) {
  for (char c : std::string("azAZ09-.!%*_+`'~")) EXPECT_TRUE(is_token_char(c)) << c;
  for (char c : std::string("()<>:\\\"/[]?{}@,;= \t\r\n")) EXPECT_FALSE(is_token_char(c)) << c;
  // word = token plus these separators (Call-ID); not '@', ',', ';', '=' or whitespace.
  for (char c : std::string("azAZ09-.!%*_+`'~()<>:\\\"/[]?{}")) EXPECT_TRUE(is_word_char(c)) << c;
  for (char c : std::string("@,;= \t")) EXPECT_FALSE(is_word_char(c)) << c;
  EXPECT_FALSE(is_token_char('\x80'));  // bytes above 0x7f are no token characters
  EXPECT_FALSE(is_word_char('\xff'));
}

TEST(LexerTest, DigitsHexLettersAndWhitespace) {
  for (char c = '0'; c <= '9'; ++c) {
    EXPECT_TRUE(is_digit(c));
    EXPECT_TRUE(is_hex(c));
    EXPECT_TRUE(is_alnum(c));
    EXPECT_FALSE(is_alpha(c));
  }
  for (char c : std::string("abcdefABCDEF")) EXPECT_TRUE(is_hex(c)) << c;
  for (char c : std::string("gGzZ/:@`")) EXPECT_FALSE(is_hex(c)) << c;
  EXPECT_TRUE(is_alpha('q'));
  EXPECT_TRUE(is_alpha('Q'));
  EXPECT_FALSE(is_alpha('@'));  // just before 'A'
  EXPECT_FALSE(is_alpha('['));  // just after 'Z'
  for (char c : std::string(" \t\r\n")) EXPECT_TRUE(is_lws(c));
  EXPECT_FALSE(is_lws('\v'));
  EXPECT_FALSE(is_lws('x'));
}

TEST(LexerTest, ForbiddenControlBytesAreAllButTabCrLf) {
  for (int c = 0; c < 0x20; ++c) {
    const bool allowed = c == '\t' || c == '\r' || c == '\n';
    EXPECT_EQ(is_forbidden_ctl(static_cast<char>(c)), !allowed) << c;
  }
  EXPECT_TRUE(is_forbidden_ctl('\x7f'));
  EXPECT_FALSE(is_forbidden_ctl(' '));
  EXPECT_FALSE(is_forbidden_ctl('\x80'));  // UTF-8 bytes are allowed in values
  // The message parser stops at these: CR, LF, '"' and the forbidden bytes.
  for (char c : std::string("\r\n\"\x01\x7f")) EXPECT_NE(char_class(c) & kClassSpecial, 0) << +c;
  for (char c : std::string("\t a:;")) EXPECT_EQ(char_class(c) & kClassSpecial, 0) << +c;
}

TEST(LexerTest, SkipLwsStopsAtTheFirstOtherCharacter) {
  EXPECT_EQ(skip_lws(" \t\r\n value "), "value ");
  EXPECT_EQ(skip_lws("value"), "value");
  EXPECT_EQ(skip_lws("  "), "");
  EXPECT_EQ(skip_lws(""), "");
}

TEST(LexerTest, QuotedLengthCoversBothQuotesAndRefusesBadEscapes) {
  EXPECT_EQ(quoted_length("\"Alice\" <sip:a@b>"), 7u);
  EXPECT_EQ(quoted_length("\"\""), 2u);
  EXPECT_EQ(quoted_length("\"say \\\"hi\\\"\" rest"), 12u);  // escaped quotes do not end it
  EXPECT_EQ(quoted_length("\"back\\\\\"x"), 8u);             // an escaped backslash
  EXPECT_EQ(quoted_length("\"unterminated"), 0u);
  EXPECT_EQ(quoted_length("\"ends in escape\\"), 0u);
  EXPECT_EQ(quoted_length("\"bad \\\r\n\""), 0u);  // quoted-pair may not escape CR or LF
  EXPECT_EQ(quoted_length("\"bad \\\n\""), 0u);
  EXPECT_EQ(quoted_length("no quote"), 0u);
  EXPECT_EQ(quoted_length(""), 0u);
}

}  // namespace
}  // namespace sbc::cp::sip::lex
