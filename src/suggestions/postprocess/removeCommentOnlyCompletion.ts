/**
 * `remove_comment_only_completion`: a completion that is nothing but comments is no code — parse
 * it alone and, when every node is a comment, return `""` (`# a\n# b` → `""`; `# doc\ndef f(): ...`
 * stays).
 */
import type { Node } from "../treesitter.ts"
import type { Op } from "./op.ts"

const isComment = (node: Node) => node.type.includes("comment")

// PHP code outside `<?php` is inline HTML to the grammar: parse the completion as PHP code.
const phpOpening = "<?php "

export const removeCommentOnlyCompletion: Op = ({ completion, language, parse }) => {
  if (parse === undefined || completion.trim() === "") return completion
  const isPhp = language?.grammar === "php"
  const commentsOnly = parse(isPhp ? phpOpening + completion : completion, (tree) => {
    const nodes = tree.rootNode.namedChildren.filter((node): node is Node =>
      node !== null && !(isPhp && node.type === "php_tag")
    )
    return nodes.length > 0 && nodes.every(isComment)
  })
  return commentsOnly === true ? "" : completion
}
